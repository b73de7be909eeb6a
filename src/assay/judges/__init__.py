"""Generative judges: parsing judge outputs into verdicts and scoring them with each benchmark's published rule."""
