"""The ONNX front end: load and check a model, fold constants, import each ONNX op into `nn`."""
