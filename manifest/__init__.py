"""The Teams app manifest template, its icons, and the packaging step (``python -m manifest.package``)."""
