// RUN: nncc-opt %s | filecheck %s
// RUN: nncc-opt %s --print-op-generic | nncc-opt | filecheck %s

// The emission options print back exactly as written; an integer clock reads as a float.
// CHECK: builtin.module attributes {emit.options = #emit.options<top = "my_net", part = "xc7z020clg400-1", clock_ns = 10.0, io = parallel>}
builtin.module attributes {emit.options = #emit.options<top = "my_net", part = "xc7z020clg400-1", clock_ns = 10, io = parallel>} {
}
