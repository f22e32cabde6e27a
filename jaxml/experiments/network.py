"""Placeholder: this experiment module is being written (its register() call goes here)."""
