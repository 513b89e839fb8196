"""Fable Tales comic backend."""
