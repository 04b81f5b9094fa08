// RUN: nncc-opt %s --split-input-file --parsing-diagnostics --verify-diagnostics | filecheck %s

// The emission options are checked by the same rules as the pass options and the config file.

// CHECK: emit.options: top must be a C identifier that is not a C++ keyword or an nncc ABI name, got 'main'
builtin.module attributes {emit.options = #emit.options<top = "main", part = "xcu250-figd2104-2L-e", clock_ns = 5.0, io = parallel>} {
}

// -----

// CHECK: emit.options: clock_ns must be a number in [0.5, 100], got 0.1
builtin.module attributes {emit.options = #emit.options<top = "net", part = "xcu250-figd2104-2L-e", clock_ns = 0.1, io = parallel>} {
}

// -----

// CHECK: emit.options: part must be an FPGA part name (letters, digits, '-', '_', '.'), got 'a b'
builtin.module attributes {emit.options = #emit.options<top = "net", part = "a b", clock_ns = 5.0, io = parallel>} {
}

// -----

// CHECK: Expected 'part'
builtin.module attributes {emit.options = #emit.options<top = "net", clock_ns = 5.0, io = parallel>} {
}

// -----

// CHECK: Expected one of 'parallel', 'stream' for io
builtin.module attributes {emit.options = #emit.options<top = "net", part = "p", clock_ns = 5.0, io = serial>} {
}
