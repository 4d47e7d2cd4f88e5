"""Host-side config composition: experiments + group entries + overrides -> one checked config.

`compose` is what `sentinel sandbox run` and the campaign tools call; the container receives
`ResolvedConfig.to_yaml()` as /job/config.yaml and checks it again with the same registry.
"""

from sentinel.agent.configs.checked import CheckedConfig, check_config
from sentinel.agent.configs.compose import (
    GENERATED_DIR,
    GROUP_DIRS,
    ResolvedConfig,
    compose,
    entries,
    experiments,
    load_entry,
)
from sentinel.agent.configs.overrides import Override, parse_override

__all__ = [
    "GENERATED_DIR",
    "GROUP_DIRS",
    "CheckedConfig",
    "Override",
    "ResolvedConfig",
    "check_config",
    "compose",
    "entries",
    "experiments",
    "load_entry",
    "parse_override",
]
