"""Views of the guest-file UI, split by concept (list, 360 page, edit, annotations, search)."""
