"""Test support: the loopback OpenAI-compatible server and helpers to script it."""
