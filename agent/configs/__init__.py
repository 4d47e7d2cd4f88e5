"""Host-side config composition: experiments + group entries + overrides -> one checked config.

`compose` is what `sentinel sandbox run` and the campaign tools call; the container receives
`ResolvedConfig.to_yaml()` as /job/config.yaml and checks it again with the same registry.
"""

from sentinel.agent.configs.compose import GROUP_DIRS, ResolvedConfig, compose, entries, experiments
from sentinel.agent.configs.overrides import Override, parse_override

__all__ = ["GROUP_DIRS", "Override", "ResolvedConfig", "compose", "entries", "experiments", "parse_override"]
