"""The base of every payload model."""

from pydantic import BaseModel, ConfigDict


class Contract(BaseModel):
    """A message payload: immutable, and refusing unknown fields so personal data cannot slip in."""

    model_config = ConfigDict(frozen=True, extra="forbid")
