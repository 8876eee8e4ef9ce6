# polyhistor_swin-mini_toy-pascal.py with the fifth PASCAL-Context task, edges
# (derived from the toy LabelMap).
_base_ = ['./polyhistor_swin-mini_toy-pascal.py']
tasks = dict(edge={{_base_.edge_task}})
