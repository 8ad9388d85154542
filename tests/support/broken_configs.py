"""Broken build configs, each with the dotted path its error must name (`load_config` and
`steplabel check` tests share them)."""
from __future__ import annotations

EP = '{base_url: "http://127.0.0.1:9/v1", model: m}'

# (name, YAML, the dotted path the error must name)
BROKEN = [
    ("outcome_unknown_option", "labelers: [{name: outcome, options: {timout: 30}}]",
     "labelers.0.options.timout: unknown key"),
    ("math_steps_wrong_type", "labelers: [{name: math_steps, options: {timeout: soon}}]\nmerge: {order: [math_steps]}",
     "labelers.0.options.timeout"),
    ("code_outcome_bad_isolation", "labelers: [{name: code_outcome, options: {isolation: docker}}]\n"
     "merge: {order: [code_outcome]}", "labelers.0.options.isolation"),
    ("code_steps_unknown_option", "labelers: [{name: outcome}, {name: code_steps, options: {memory: 10}}]",
     "labelers.1.options.memory: unknown key"),
    ("judge_unknown_option", f"labelers: [{{name: outcome}}, {{name: judge, options: {{endpoint: {EP}, votse: 3}}}}]",
     "labelers.1.options.votse: unknown key"),
    ("judge_endpoint_unknown_key", "labelers: [{name: outcome}, {name: judge, options: {endpoint: "
     "{base_url: 'http://127.0.0.1:9/v1', model: j, api_kye_env: K}}}]", "labelers.1.options.endpoint.api_kye_env"),
    ("judge_without_endpoint", "labelers: [{name: outcome}, {name: judge}]", "labelers.1.options"),
    ("judge_missing_prompt", f"labelers: [{{name: outcome}}, {{name: judge, options: {{endpoint: {EP}, "
     "prompts: {math: prompts/nope.txt}}}]", "labelers.1.options: prompt template not found"),
    ("judge_prompt_for_unknown_domain", f"labelers: [{{name: outcome}}, {{name: judge, options: {{endpoint: {EP}, "
     "prompts: {maths: prompts/judge_chain.txt}}}]", "labelers.1.options.prompts.maths"),
    ("generation_prompt_for_unknown_domain", f"generation: {{policy: {EP}, prompts: {{cod: prompts/policy_code.txt}}}}",
     "generation.prompts.cod"),
    ("rollout_k_zero", f"labelers: [{{name: outcome}}, {{name: rollout, options: {{endpoint: {EP}, k: 0}}}}]",
     "labelers.1.options.k"),
    ("rollout_url_without_scheme", "labelers: [{name: outcome}, {name: rollout, options: {endpoint: "
     "{base_url: 'localhost:8000/v1', model: p}}}]", "labelers.1.options.endpoint.base_url"),
    ("unknown_labeler", "labelers: [{name: outcom}]", "labelers.0.name"),
    ("labeler_twice", "labelers: [{name: outcome}, {name: outcome}]", "labelers.1.name"),
    ("labeler_pool_zero", "labelers: [{name: outcome, pool_size: 0}]", "labelers.0.pool_size"),
    ("merge_order_typo", "merge: {order: [typo]}", "merge.order.0: 'typo' is not a configured labeler"),
    ("merge_order_unconfigured", "labelers: [{name: outcome}]\nmerge: {order: [outcome, judge]}",
     "merge.order.1: 'judge' is not a configured labeler"),
    ("merge_order_empty", "merge: {order: []}", "merge.order"),
    ("merge_agree_typo", "labelers: [{name: outcome}, {name: math_steps}]\n"
     "merge: {policy: consensus, order: [outcome], agree: [outcome, math_step]}", "merge.agree.1"),
    ("merge_unknown_policy", "merge: {policy: majority}", "merge.policy"),
    ("regex_without_pattern", "segment: {splitter: regex}", "segment.pattern: splitter regex needs"),
    ("regex_invalid_pattern", "segment: {splitter: regex, pattern: '(step'}", "segment.pattern: not a valid"),
    ("regex_matches_empty", "segment: {splitter: regex, pattern: '\\n*'}", "segment.pattern: the pattern matches"),
    ("pattern_without_regex", "segment: {splitter: newline, pattern: '---'}", "segment.pattern"),
    ("generation_unknown_key", "generation: {policy: {base_url: 'http://127.0.0.1:9/v1', modle: m}}",
     "generation.policy.modle: unknown key"),
    ("generation_n_wrong_type", f"generation: {{policy: {EP}, n: many}}", "generation.n"),
    ("generation_missing_prompt", f"generation: {{policy: {EP}, prompts: {{math: prompts/nope.txt}}}}",
     "generation.prompts.math: prompt template not found"),
    ("shard_size_zero", "run: {shard_size: 0}", "run.shard_size"),
    ("input_files_without_path", "input: {kind: files}", "input.path"),
    ("input_unknown_kind", "input: {kind: csv, path: x.csv}", "input.kind"),
    ("top_level_typo", "labeler: [{name: outcome}]", "labeler: unknown key"),
]
