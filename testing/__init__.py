"""The toolkit shared by the tests and the benchmark: running the Procfile's
processes, free ports, Chromium, test images, shared services, the test gate."""
