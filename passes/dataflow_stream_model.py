"""The cycle model of a stream design (I/O style `stream`), used by `dataflow-stream`.

A graph of stages linked by FIFOs: the *source* (the top's input port, one pixel per beat,
fed back to back), line-buffer *window* stages (convolutions and
max pools), and the *collector* that gathers the last stream into a tensor for the
whole-tensor *tail* (a parallel-style sub-design with its own initiation interval and
latency). Each stage is modelled exactly as the Verilog stream back end builds it, one
clock cycle at a time, from registered state only:

- FIFO: `count` beats held; `in_ready = count < depth`, `out_valid = count > 0`; a beat
  pushed in cycle t can be popped from cycle t + 1.
- source: the top's input port, whose producer always has the next beat; beat k of a
  sample is pushed when its FIFOs have room, beat 0 only when the top's II gap allows (a
  sample's first beat at most every II cycles).
- window stage (see `WindowStage`): walks its padded frame position by position (a padding
  position needs no beat), holds a window after feeding an anchor and computes its R
  phases, the last of which emits the output beat and may overlap the next feed; a frame
  starts (even on a padding position) only when its first beat is at hand, so the timing
  does not depend on how long the stage was idle.
- global stage (see `GlobalStage`: a global average / max pool): reads the P beats of a
  sample, combining each channel's values, and after the last one holds the sample's
  result beat until it is taken; it reads the next sample's beats meanwhile, all but the last.
- join (an element-wise op of several streams, a residual `Add`): combinational; takes one
  beat of every input FIFO when all have one and its output has room.
- fork (a stage feeding several FIFOs): the beat goes into all of them in the same cycle,
  when all have room (`ready` = the AND of the FIFOs' `in_ready`).
- collector: `in_ready = !full || taken`; the last beat of a sample sets full; the tail
  takes it when its II gap allows.

With unbounded FIFOs the model gives each FIFO's occupancy at every push; the minimum depth
that never refuses a push is that maximum plus one (a smaller depth refuses the push at the
maximum, a stall).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass
class WindowStage:
    """A line-buffer stage over a padded frame of `padded` = (Hp, Wp) positions."""

    name: str
    padded: tuple[int, int]
    pad: tuple[int, int]  # top, left
    size: tuple[int, int]  # H, W of the real input
    span: tuple[int, int]
    stride: tuple[int, int]
    last: tuple[int, int]  # padded row / column of the last anchor
    reuse: int
    row: int = 0
    col: int = 0
    pend: bool = False
    phase: int = 0

    @property
    def service(self) -> int:
        """Cycles per sample when never starved: every position plus R - 1 extra phases per anchor."""
        anchors = ((self.last[0] - self.span[0] + 1) // self.stride[0] + 1) * ((self.last[1] - self.span[1] + 1) // self.stride[1] + 1)
        return self.padded[0] * self.padded[1] + anchors * (self.reuse - 1)

    def reset(self) -> WindowStage:
        """The stage at reset."""
        return replace(self, row=0, col=0, pend=False, phase=0)

    def has_beat(self, in_valid: bool) -> bool:
        """An output beat waits (before this cycle's step)."""
        return self.pend and self.phase == self.reuse - 1

    def state(self) -> tuple:
        """Everything the next cycles depend on."""
        return self.row, self.col, self.pend, self.phase

    def _pad(self) -> bool:
        r, c = self.row - self.pad[0], self.col - self.pad[1]
        return not (0 <= r < self.size[0] and 0 <= c < self.size[1])

    def _anchor(self) -> bool:
        r, c = self.row - (self.span[0] - 1), self.col - (self.span[1] - 1)
        return (r >= 0 and c >= 0 and self.row <= self.last[0] and self.col <= self.last[1]
                and r % self.stride[0] == 0 and c % self.stride[1] == 0)

    def step(self, in_valid: bool, out_ready: bool) -> tuple[bool, bool]:
        """One cycle: (beat popped, beat pushed)."""
        last = self.reuse - 1
        out_valid = self.pend and self.phase == last
        emit = out_valid and out_ready
        can_feed = not self.pend or emit
        pad = self._pad()
        start = self.row == 0 and self.col == 0  # a frame starts with its first beat at hand
        feed = can_feed and ((pad and not start) or in_valid)
        if self.pend and self.phase != last:
            self.phase += 1
        if emit:
            self.pend, self.phase = False, 0
        if feed:
            anchor = self._anchor()
            self.col += 1
            if self.col == self.padded[1]:
                self.col, self.row = 0, self.row + 1
                if self.row == self.padded[0]:
                    self.row = 0
            self.pend, self.phase = anchor, 0
        return feed and not pad, emit


@dataclass
class GlobalStage:
    """A global pooling stage: the sum or max of every pixel of each channel, over the
    `beats` beats of a sample, one output beat."""

    name: str
    beats: int
    count: int = 0
    pend: bool = False

    @property
    def service(self) -> int:
        """Cycles per sample when never starved: one per input beat."""
        return self.beats

    def reset(self) -> GlobalStage:
        """The stage at reset."""
        return replace(self, count=0, pend=False)

    def has_beat(self, in_valid: bool) -> bool:
        """The result beat of a finished sample waits."""
        return self.pend

    def state(self) -> tuple:
        """Everything the next cycles depend on."""
        return self.count, self.pend

    def step(self, in_valid: bool, out_ready: bool) -> tuple[bool, bool]:
        """One cycle: (beat popped, beat pushed)."""
        emit = self.pend and out_ready
        last = self.count == self.beats - 1
        feed = in_valid and not (last and self.pend and not emit)  # a new result needs the old one taken
        if emit:
            self.pend = False
        if feed:
            self.count = 0 if last else self.count + 1
            self.pend = self.pend or last
        return feed, emit


@dataclass
class JoinStage:
    """An element-wise op of several streams (a residual `Add`): one beat of every input,
    when all are at hand and its output has room, makes one output beat (combinational)."""

    name: str
    beats: int

    @property
    def service(self) -> int:
        """Cycles per sample when never starved: one per beat."""
        return self.beats

    def reset(self) -> JoinStage:
        """The stage at reset (it holds no state)."""
        return self

    def has_beat(self, in_valid: bool) -> bool:
        return in_valid

    def state(self) -> tuple:
        """A join holds no state."""
        return ()

    def step(self, in_valid: bool, out_ready: bool) -> tuple[bool, bool]:
        """One cycle: (beats popped, beat pushed)."""
        emit = in_valid and out_ready
        return emit, emit


@dataclass
class StreamChain:
    """The stream graph: the source (node -1), the stages (nodes 0..k-1), the collector (node
    k); `fifos[i]` = (producer node, consumer node). A producer with several FIFOs is a fork:
    it pushes into all of them in the same cycle, when all have room."""

    source_beats: int
    stages: list
    collect_beats: int
    tail_ii: int
    tail_latency: int
    fifos: list[tuple[int, int]]
    depths: list[int] | None = None  # None: unbounded FIFOs

    @property
    def ii(self) -> int:
        """The design's initiation interval: the slowest stage's cycles per sample."""
        return max([self.source_beats, self.collect_beats, self.tail_ii] + [s.service for s in self.stages])

    def ports(self, node: int) -> tuple[list[int], list[int]]:
        """The FIFOs a node pops and those it pushes."""
        pops = [i for i, (_, c) in enumerate(self.fifos) if c == node]
        return pops, [i for i, (p, _) in enumerate(self.fifos) if p == node]


@dataclass
class Trace:
    """What the model saw: per FIFO its largest occupancy at a push (per sample period),
    pushes and pops; per stage the cycles of its pops and pushes; the top's handshakes."""

    fires: list[int] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)
    occupancy: list[list[int]] = field(default_factory=list)  # per FIFO, per cycle at a push
    pushes: list[list[int]] = field(default_factory=list)
    pops: list[list[int]] = field(default_factory=list)
    stalls: int = 0


def _stages_cycle(stages: list, ports: list, count: list[int], room: list[bool], push: list[bool],
                  pop: list[bool]) -> int:
    """One cycle of every stage (registered state only); the stalls it saw."""
    stalls = 0
    for stage, (ins, outs) in zip(stages, ports):
        in_valid = count[ins[0]] > 0 if len(ins) == 1 else all(count[f] > 0 for f in ins)
        ready = room[outs[0]] if len(outs) == 1 else all(room[f] for f in outs)
        if not ready and stage.has_beat(in_valid):
            stalls += 1
        popped, pushed = stage.step(in_valid, ready)
        for f in ins:
            pop[f] = popped
        for f in outs:
            push[f] = pushed
    return stalls


@dataclass
class _Mark:
    """Where a period of the trace starts: its first cycle, the state then and the lengths
    of the trace's lists."""

    t: int
    state: tuple
    lengths: tuple


def _lengths(trace: Trace) -> tuple:
    return (len(trace.fires), len(trace.outputs), trace.stalls, tuple(map(len, trace.pushes)), tuple(map(len, trace.pops)))


def _repeat(trace: Trace, mark: _Mark, ii: int, times: int) -> None:
    """Append ``times`` copies of the trace since ``mark`` (one II-long period), each shifted
    by one more II."""
    fires, outputs, stalls, pushes, pops = mark.lengths

    def extend(values: list, start: int, occupancy: list | None = None) -> None:
        seg = values[start:]
        for j in range(1, times + 1):
            values.extend([v + j * ii for v in seg])
            if occupancy is not None:
                occupancy.extend(occupancy[start:start + len(seg)])

    extend(trace.fires, fires)
    extend(trace.outputs, outputs)
    trace.stalls += (trace.stalls - stalls) * times
    for i, start in enumerate(pushes):
        extend(trace.pushes[i], start, trace.occupancy[i])
    for i, start in enumerate(pops):
        extend(trace.pops[i], start)


def simulate(chain: StreamChain, samples: int, limit: int | None = None) -> Trace:
    """Run ``samples`` back-to-back samples through the graph at its II (the top accepts a
    sample's first beat at most every II cycles) until the last output, or ``limit`` cycles.

    When the whole state at a sample's first input beat is the state at the previous one, II
    cycles earlier, every later period repeats that one exactly: the trace of the samples
    up to the last is that period's, shifted, and only the last sample and the drain are
    simulated cycle by cycle."""
    ii = chain.ii
    n_fifo = len(chain.fifos)
    ports = [chain.ports(i) for i in range(len(chain.stages))]
    src_out, col_in = chain.ports(-1)[1], chain.ports(len(chain.stages))[0][0]
    count = [0] * n_fifo
    trace = Trace(occupancy=[[] for _ in range(n_fifo)], pushes=[[] for _ in range(n_fifo)],
                  pops=[[] for _ in range(n_fifo)])
    k, gap, loaded = 0, 0, 0
    full, ck, tail_gap = False, 0, 0
    limit = limit or (samples + 2) * (ii + 4 * sum(s.service for s in chain.stages) + chain.tail_latency + 16)
    t, mark = 0, None
    stages, depths = chain.stages, chain.depths or [None] * n_fifo
    while len(trace.outputs) < samples and t < limit:
        room = [d is None or c < d for c, d in zip(count, depths)]
        push = [False] * n_fifo
        pop = [False] * n_fifo
        # source: the input port (a fork when it feeds several FIFOs)
        src_room = all(room[f] for f in src_out)
        want = k > 0 or (gap == 0 and loaded < samples)
        sent = want and src_room
        fire = sent and k == 0
        if fire and loaded < samples - 1:
            state = (k, gap, full, ck, tail_gap, tuple(count), tuple(s.state() for s in stages))
            if mark is not None and mark.state == state and t - mark.t == ii:
                times = samples - 1 - loaded
                _repeat(trace, mark, ii, times)
                t, loaded = t + times * ii, loaded + times
            mark = _Mark(t, state, _lengths(trace))
        trace.stalls += want and not src_room
        for f in src_out:
            push[f] = sent
        trace.stalls += _stages_cycle(stages, ports, count, room, push, pop)
        # collector and tail
        taken = full and tail_gap == 0
        accept = count[col_in] > 0 and (not full or taken)
        pop[col_in] = accept
        # registered updates
        if fire:
            gap, loaded = ii - 1, loaded + 1
            trace.fires.append(t)
        elif gap:
            gap -= 1
        if sent:
            k = 0 if k + 1 == chain.source_beats else k + 1
        if taken:
            full, tail_gap = False, chain.tail_ii - 1
            trace.outputs.append(t + chain.tail_latency)
        elif tail_gap:
            tail_gap -= 1
        if accept:
            ck += 1
            if ck == chain.collect_beats:
                ck, full = 0, True
        for i in range(n_fifo):
            if push[i]:
                trace.occupancy[i].append(count[i])
                trace.pushes[i].append(t)
            if pop[i]:
                trace.pops[i].append(t)
            count[i] += push[i] - pop[i]
        t += 1
    return trace


def fresh(chain: StreamChain, depths: list[int] | None = None) -> StreamChain:
    """A copy of the graph with every stage at reset."""
    return replace(chain, stages=[s.reset() for s in chain.stages], depths=depths)


class StreamModelError(Exception):
    """The stream does not settle at its II (a model error, never expected)."""


def size_fifos(chain: StreamChain, samples: int = 8, max_samples: int = 256) -> tuple[list[int], Trace, int]:
    """The minimum FIFO depths (no stall at the II), the trace with them, and the samples run:
    more samples until the output spacing is the II and no FIFO's occupancy still grows."""
    ii = chain.ii
    while True:
        trace = simulate(fresh(chain), samples)
        gaps = {b - a for a, b in zip(trace.outputs[-3:], trace.outputs[-2:])}
        per_period = [_period_max(trace, i, ii) for i in range(len(trace.pushes))]
        settled = gaps == {ii} and all(len(p) < 3 or p[-1] == p[-2] for p in per_period)
        if settled or samples >= max_samples:
            break
        samples *= 2
    if not settled:
        raise StreamModelError(f"dataflow-stream: the stream does not settle at II {ii} within {samples} samples")
    depths = [max(occ, default=0) + 1 for occ in trace.occupancy]
    checked = simulate(fresh(chain, depths), samples)
    if checked.stalls or checked.outputs != trace.outputs:
        raise StreamModelError("dataflow-stream: the sized FIFOs change the schedule")
    return depths, trace, samples


def _period_max(trace: Trace, fifo: int, ii: int) -> list[int]:
    """Per II-long period from the first input, the largest occupancy at a push (while
    samples still enter: the drain after the last one is left out)."""
    start = trace.fires[0] if trace.fires else 0
    end = trace.fires[-1] if trace.fires else 0
    periods: dict[int, int] = {}
    for t, occ in zip(trace.pushes[fifo], trace.occupancy[fifo]):
        if t >= end:
            break
        key = (t - start) // ii
        periods[key] = max(periods.get(key, 0), occ)
    return [periods[k] for k in sorted(periods)]
