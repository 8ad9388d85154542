"""Importers of formats large enough for a module of their own (code-RL datasets), each registered
by one line in `sources.IMPORTERS`. They use only the checked fields of `..fields` and the
`Context` they are given, so `sources` imports them and not the other way round."""
