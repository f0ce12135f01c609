"""The device workflow as plain Python: states and transitions (machine), client policy, method
fitness (sanitization), verification sampling, and the custody hash chain. No Flask, no SQL, no itad."""
