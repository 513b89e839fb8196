"""The work: the comic pipeline, the job runner, the providers and the renderer."""
