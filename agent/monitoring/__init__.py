"""The host's side of the in-loop monitor: `sentinel monitor status` rows (`status`) and the
counterfactual benchmark (`bench`). `sentinel.monitor` itself stays container-side and stands
alone; everything here reads run output only through `sentinel.sandbox.artifacts`."""

__all__: list[str] = []
