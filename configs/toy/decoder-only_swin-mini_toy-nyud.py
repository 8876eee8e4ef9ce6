# Decoders only (frozen, randomly initialised small Swin) on the synthetic
# toy NYUD-v2 data (minutes on a CPU). Generate the data first:
#   python tools/misc/generate_toy_nyud_mt.py data/toy_nyud_mt
_base_ = ['./_base_/peft_swin-mini_toy-nyud.py']
