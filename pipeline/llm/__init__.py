"""The LLM layer: endpoint configs, an async client with retries, a request cache and a budget."""
