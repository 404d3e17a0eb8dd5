"""Pretrained models shipped with the package (see NOTICE.txt)."""
