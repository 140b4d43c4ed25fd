"""The modules of scripts/make-clip-model.py (the entry command; it installs numpy, onnx, onnxruntime and
tokenizers before anything here is imported, so these modules import them at the top).

  tokenizer.py  the CLIP byte-level BPE tokenizer.json (merges learnt from a small word list)
  graph.py      Graph: ONNX node/initialiser builder with the transformer blocks both towers share
  towers.py     the vision and text towers (the Xenova export's inputs and outputs)
  quantize.py   int8 quantisation (weight-only or ONNX Runtime dynamic), pinned to IR 8 / opset 17
  configs.py    the presets and the config.json / preprocessor / tokenizer_config files
"""
