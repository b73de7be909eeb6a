"""assay: evaluate the models that judge other models."""
