"""Maps the top-level folders under the `steplabel` import namespace.

`pipeline` and `verifiers` are taken on PyPI, so they install as `steplabel.pipeline` and
`steplabel.verifiers`; `configs` and `data_cards` ride along as data packages so an installed
`steplabel build` finds its default config, prompts and card template.
"""
from setuptools import find_packages, setup

FOLDERS = ("pipeline", "verifiers", "configs", "data_cards")

packages = [f"steplabel.{p}" for p in find_packages(include=[f"{f}*" for f in FOLDERS])]
packages += [f"steplabel.{f}" for f in ("configs", "data_cards") if f"steplabel.{f}" not in packages]

setup(
    packages=packages,
    package_dir={f"steplabel.{f}": f for f in FOLDERS},
    package_data={"": ["*.yaml", "*.md", "*.jsonl", "*.json", "*.txt", "*/*.yaml", "*/*.txt", "*/*.jsonl", "*/*.md"]},
    include_package_data=True,
)
