# MTLoRA on a plain ViT: what the reference trains besides LoRA on Swin,
# in ViT's names: the patch embedding, every LayerNorm (ln1 / ln2 of the
# layers and the final ln1) and the position embedding in place of the
# relative-position tables; ViT has no patch merging.
_base_ = ['../mtlora.py']
tuner = dict(unfreeze=('patch_embed', 'ln', 'pos_embed'))
