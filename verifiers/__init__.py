"""Deterministic, Ray-free, network-free checkers (math, code), reusable on their own."""
