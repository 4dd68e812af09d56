"""Read the SAM template the way the local stack needs it.

Everything the local stack knows about the application comes from ``template.yaml``: the
functions (code directory, handler, environment, timeout, memory, layers), their ``HttpApi`` and
``SQS`` events, and the resources' properties. Nothing here repeats a name or an attribute of
the template.

The YAML is read by ``storemon_dev.local.resources.load_template`` (short tags in their long form);
the intrinsic functions in the environment are resolved there too
(``resources.function_environment``), against the resources it created.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
DEFAULT_TIMEOUT = 3  # seconds, Lambda's default
DEFAULT_MEMORY = 128  # MB
DEFAULT_SQS_BATCH_SIZE = 10


class TemplateError(ValueError):
    """The template lacks something the local stack needs, or uses what it cannot emulate."""


# ----------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class HttpRoute:
    """One ``HttpApi`` event: ``method`` is upper case or ``ANY``; ``path`` may be
    ``$default`` (the catch-all route)."""

    function: str
    method: str
    path: str

    @property
    def route_key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"


@dataclass(frozen=True)
class SqsSource:
    """One ``SQS`` event of a function (an event source mapping)."""

    function: str
    event_name: str
    queue: Any  # the raw Queue property (usually {"Fn::GetAtt": [QueueLogicalId, "Arn"]})
    batch_size: int = DEFAULT_SQS_BATCH_SIZE
    batching_window: float = 0.0
    report_batch_item_failures: bool = False
    enabled: bool = True
    max_concurrency: int = 0  # ScalingConfig.MaximumConcurrency; 0 when not set

    @property
    def queue_logical_id(self) -> str | None:
        return logical_id_of(self.queue)


@dataclass
class FunctionSpec:
    logical_id: str
    code_dir: Path
    handler: str  # "module.attribute", e.g. "app.lambda_handler"
    environment: dict[str, Any]  # raw (unresolved) template values
    timeout: int = DEFAULT_TIMEOUT
    memory: int = DEFAULT_MEMORY
    layers: list[Any] = field(default_factory=list)
    routes: list[HttpRoute] = field(default_factory=list)
    sqs_sources: list[SqsSource] = field(default_factory=list)
    unsupported_events: list[str] = field(default_factory=list)

    @property
    def short_name(self) -> str:
        """The code directory's name (``functions/get_report`` -> ``get_report``)."""
        return self.code_dir.name

    @property
    def module_file(self) -> Path:
        module = self.handler.rsplit(".", 1)[0]
        return self.code_dir / (module.replace(".", "/") + ".py")

    @property
    def handler_attribute(self) -> str:
        return self.handler.rsplit(".", 1)[1]


def logical_id_of(value: Any) -> str | None:
    """The logical id a ``Ref`` / ``GetAtt`` (or a bare string) points at."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return None


def _merge_globals(glob: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
    """SAM's Globals rules, for what the local stack reads: maps merge (the resource wins),
    lists concatenate (globals first), scalars: the resource wins."""
    merged = copy.deepcopy(dict(glob))
    for key, value in props.items():
        old = merged.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = _merge_globals(old, value)
        elif isinstance(old, list) and isinstance(value, list):
            merged[key] = old + list(value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


class Template:
    """A parsed SAM template and the views of it the local stack uses."""

    def __init__(self, data: dict[str, Any], path: Path):
        self.data = data
        self.path = path
        self.root = path.parent
        self.resources: dict[str, dict[str, Any]] = dict(data.get("Resources") or {})
        if not self.resources:
            raise TemplateError(f"{path}: no Resources")
        self.parameters: dict[str, Any] = {
            name: spec.get("Default")
            for name, spec in (data.get("Parameters") or {}).items()
            if isinstance(spec, Mapping)
        }
        self.functions: dict[str, FunctionSpec] = self._read_functions()

    @classmethod
    def load(cls, path: str | Path | None = None) -> Template:
        """The template at ``path`` (default: the project's, see ``resources.find_template``)."""
        from storemon_dev.local.resources import find_template, load_template

        try:
            path = Path(path or find_template()).resolve()
            data = load_template(path)
        except (OSError, yaml.YAMLError) as exc:
            raise TemplateError(f"cannot read the template: {exc}") from exc
        if not isinstance(data, dict):
            raise TemplateError(f"{path}: not a YAML mapping")
        return cls(data, path)

    # -- resources
    def of_type(self, type_name: str) -> dict[str, dict[str, Any]]:
        return {lid: r for lid, r in self.resources.items() if r.get("Type") == type_name}

    def properties(self, logical_id: str) -> dict[str, Any]:
        try:
            return dict(self.resources[logical_id].get("Properties") or {})
        except KeyError:
            raise TemplateError(f"no resource {logical_id!r} in the template") from None

    def resource_type(self, logical_id: str) -> str:
        return str(self.resources.get(logical_id, {}).get("Type", ""))

    # -- functions
    def function(self, name: str) -> FunctionSpec:
        """A function by logical id (``TriggerFunction``) or short name (``trigger``), any case;
        ``get-report`` and ``GetReport`` find ``get_report`` too."""
        if name in self.functions:
            return self.functions[name]

        def norm(s: str) -> str:
            return re.sub(r"[^a-z0-9]", "", s.lower())

        wanted = norm(name)
        for spec in self.functions.values():
            candidates = {
                norm(spec.logical_id),
                norm(spec.short_name),
                norm(spec.logical_id.removesuffix("Function")),
            }
            if wanted in candidates:
                return spec
        known = ", ".join(f"{s.logical_id} ({s.short_name})" for s in self.functions.values())
        raise TemplateError(f"no function {name!r} in the template; known: {known}")

    @property
    def routes(self) -> list[HttpRoute]:
        return [route for spec in self.functions.values() for route in spec.routes]

    @property
    def sqs_sources(self) -> list[SqsSource]:
        return [src for spec in self.functions.values() for src in spec.sqs_sources]

    def layer_dirs(self, spec: FunctionSpec) -> list[Path]:
        """Content directories of the function's ``AWS::Serverless::LayerVersion`` layers
        (what Lambda would put on ``sys.path`` under /opt/python)."""
        dirs = []
        for layer in spec.layers:
            lid = logical_id_of(layer)
            if lid and self.resource_type(lid) == "AWS::Serverless::LayerVersion":
                uri = self.properties(lid).get("ContentUri")
                if isinstance(uri, str):
                    dirs.append((self.root / uri).resolve())
        return dirs

    def _read_functions(self) -> dict[str, FunctionSpec]:
        glob = ((self.data.get("Globals") or {}).get("Function")) or {}
        out: dict[str, FunctionSpec] = {}
        for lid, res in self.of_type(SERVERLESS_FUNCTION).items():
            props = _merge_globals(glob, res.get("Properties") or {})
            code_uri = props.get("CodeUri")
            handler = props.get("Handler")
            if not isinstance(code_uri, str) or not isinstance(handler, str) or "." not in handler:
                raise TemplateError(
                    f"{lid}: the local stack needs a local CodeUri directory and a "
                    f"'module.function' Handler (got CodeUri={code_uri!r}, Handler={handler!r})"
                )
            env = ((props.get("Environment") or {}).get("Variables")) or {}
            spec = FunctionSpec(
                logical_id=lid,
                code_dir=(self.root / code_uri).resolve(),
                handler=handler,
                environment=dict(env),
                timeout=int(self.static(props.get("Timeout")) or DEFAULT_TIMEOUT),
                memory=int(self.static(props.get("MemorySize")) or DEFAULT_MEMORY),
                layers=list(props.get("Layers") or []),
            )
            for event_name, event in (props.get("Events") or {}).items():
                self._read_event(spec, event_name, event or {})
            out[lid] = spec
        return out

    def static(self, value: Any) -> Any:
        """A property that is a literal or a ``Ref`` to a parameter (its default); what else
        needs the created resources stays as it is."""
        if isinstance(value, Mapping) and set(value) == {"Ref"} and value["Ref"] in self.parameters:
            return self.parameters[value["Ref"]]
        return value

    def _read_event(self, spec: FunctionSpec, name: str, event: Mapping[str, Any]) -> None:
        kind = event.get("Type")
        props = {k: self.static(v) for k, v in (event.get("Properties") or {}).items()}
        if kind == "HttpApi":
            path = props.get("Path")
            method = props.get("Method")
            if path is None and method is None:
                path, method = "$default", "ANY"
            method = str(method or "ANY").upper()
            if method == "*":
                method = "ANY"
            spec.routes.append(HttpRoute(spec.logical_id, method, str(path)))
        elif kind == "SQS":
            types = props.get("FunctionResponseTypes") or []
            spec.sqs_sources.append(
                SqsSource(
                    function=spec.logical_id,
                    event_name=name,
                    queue=props.get("Queue"),
                    batch_size=int(props.get("BatchSize") or DEFAULT_SQS_BATCH_SIZE),
                    batching_window=float(props.get("MaximumBatchingWindowInSeconds") or 0),
                    report_batch_item_failures="ReportBatchItemFailures" in types,
                    enabled=props.get("Enabled", True) is not False,
                    max_concurrency=int(
                        self.static((props.get("ScalingConfig") or {}).get("MaximumConcurrency"))
                        or 0
                    ),
                )
            )
        else:
            spec.unsupported_events.append(f"{name} ({kind})")
