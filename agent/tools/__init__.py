"""The campaign tools, one module per tier: plain typed functions over a `ToolContext`.

Each returns a typed record (`records.py`). The strategist calls them directly and reads the
fields; the LLM brain binds the context, wraps each with smolagents' @tool (type hints and one
`Args:` line per argument are what it reads) and words the records for the model. A
campaign's tier decides which list a brain receives: `TOOLS[:tier]`, flattened.

    ctx = ToolContext.from_campaign(campaign_ctx)
    history = get_experiment_history(ctx, last=10)          # a History record
    create_config_variant(ctx, "trainer", "default", "default_warm_cosine",
                          {"schedule": "cosine", "warmup_steps": 50})  # a VariantWritten record
"""

from sentinel.agent.tools._context import ToolContext, ToolInputError
from sentinel.agent.tools.tier1 import (
    check_drift,
    compare_runs,
    get_experiment_history,
    list_available_configs,
    read_experiment_config,
    read_run_results,
    suggest_search_space,
)
from sentinel.agent.tools.tier2 import compose_experiment_config, create_config_variant
from sentinel.agent.tools.tier3 import read_model_source, register_generated_model

TIER1 = (
    list_available_configs,
    read_run_results,
    compare_runs,
    check_drift,
    get_experiment_history,
    read_experiment_config,
    suggest_search_space,
)
TIER2 = (create_config_variant, compose_experiment_config)
TIER3 = (read_model_source, register_generated_model)
TOOLS = (TIER1, TIER2, TIER3)


def tools_for_tier(tier: int) -> tuple:
    """Every tool a brain may use at `tier` (1..3): a tier includes the tiers below it."""
    if isinstance(tier, bool) or not isinstance(tier, int) or not 1 <= tier <= 3:
        raise ToolInputError(f"tier must be 1, 2 or 3, got {tier!r}")
    return tuple(tool for group in TOOLS[:tier] for tool in group)


__all__ = [
    "TIER1",
    "TIER2",
    "TIER3",
    "TOOLS",
    "ToolContext",
    "ToolInputError",
    "check_drift",
    "compare_runs",
    "compose_experiment_config",
    "create_config_variant",
    "get_experiment_history",
    "list_available_configs",
    "read_experiment_config",
    "read_model_source",
    "read_run_results",
    "register_generated_model",
    "suggest_search_space",
    "tools_for_tier",
]
