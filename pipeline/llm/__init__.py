"""The LLM layer: endpoint configs, an async client with retries, a request cache and a budget.

Stages get their clients from `clients.LLMClients` (one cache and ledger per stage, built where
they are used). Nothing here imports from the layers above (errors come from `pipeline.errors`).
"""
