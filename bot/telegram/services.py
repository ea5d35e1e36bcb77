"""What the handlers work with, built once in app.py (not in bot_data's persistence: FAISS and API clients
don't pickle)."""
from __future__ import annotations

from dataclasses import dataclass

from ..batching import MicroBatcher
from ..engine import Engine
from ..settings import Settings
from .limits import Limits
from .storage import Store


@dataclass
class Services:
    settings: Settings
    engine: Engine
    store: Store
    limits: Limits
    batcher: MicroBatcher
