"""Class lists and label mappings shipped with mmpoly (data files)."""
