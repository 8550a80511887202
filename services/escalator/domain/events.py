"""What the escalator decided, named and in the past tense. Each carries the escalation as it is
after the change; :func:`evolve` folds them and the shell publishes each as one revision."""

from dataclasses import dataclass

from services.escalator.domain.state import ActiveHazard, Escalation


@dataclass(frozen=True)
class EscalationOpened:
    escalation: Escalation


@dataclass(frozen=True)
class EscalationRevised:
    """New facts (counts, shelters, causes), same level."""

    escalation: Escalation


@dataclass(frozen=True)
class EscalationRaised:
    """A higher level: the SLA passed, the need grew, or nobody acknowledged it in time."""

    escalation: Escalation


@dataclass(frozen=True)
class AcknowledgementRecorded:
    """A recipient acknowledged: the chasing stops, the escalation stays open."""

    escalation: Escalation


@dataclass(frozen=True)
class DeadlinePassed:
    """Nobody acknowledged in time: the escalation is chased by an unacknowledged one."""

    escalation: Escalation


@dataclass(frozen=True)
class EscalationResolved:
    escalation: Escalation


@dataclass(frozen=True)
class HazardActivated:
    hazard: ActiveHazard


@dataclass(frozen=True)
class HazardWithdrawn:
    """Cancelled, updated by a newer warning, or expired."""

    identifier: str


@dataclass(frozen=True)
class AckIgnored:
    """An acknowledgement that changes nothing: not open, not a recipient, or already known."""

    escalation_id: str
    partner_id: str
    why: str


EscalationChanged = (
    EscalationOpened
    | EscalationRevised
    | EscalationRaised
    | AcknowledgementRecorded
    | DeadlinePassed
    | EscalationResolved
)
DomainEvent = EscalationChanged | HazardActivated | HazardWithdrawn | AckIgnored
