"""Vehicles for placed households: the nearest free vehicle whose seats carry the household.

A vehicle dispatched in a batch may take further households of the same alert bound for the
same shelter while its seats (and accessible places, one per household with a mobility need)
last. It is then busy for the estimated round trip (vehicle → origin → shelter → back) at its
speed, in log time, unless feedback releases it earlier.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.allocator.domain.entities import Vehicle
from services.geo import haversine_km_coords


@dataclass(frozen=True)
class Rider:
    """A placed household waiting for transport."""

    ident: str
    alert_id: str
    shelter_id: str
    origin: tuple[float, float]
    destination: tuple[float, float]
    size: int
    accessible: bool


@dataclass(frozen=True)
class Ride:
    vehicle_id: str
    eta_minutes: int


@dataclass
class _Trip:
    vehicle: Vehicle
    alert_id: str
    shelter_id: str
    seats: int
    accessible: int


def _carries(trip: _Trip, rider: Rider) -> bool:
    return trip.seats >= rider.size and (not rider.accessible or trip.accessible >= 1)


def dispatch(
    riders: Sequence[Rider], vehicles: Mapping[str, Vehicle], now: datetime
) -> tuple[dict[str, Ride], tuple[Vehicle, ...]]:
    """Rides by rider ident (riders without one stay transport-pending), and busy vehicles."""
    # free vehicles not yet on a trip of this batch, and the trips by alert and shelter (only
    # riders of both may join one): a rider looks at those, not at every vehicle
    idle = {v: vehicles[v] for v in sorted(vehicles) if vehicles[v].free_at(now)}
    trips: dict[str, _Trip] = {}
    legs: dict[tuple[str, str], list[_Trip]] = {}
    away: dict[tuple[float, float], dict[str, float]] = {}  # km from each vehicle, per origin
    rides: dict[str, Ride] = {}
    busy: dict[str, Vehicle] = {}
    for rider in riders:
        best: tuple[float, str] | None = None
        lat, lon = rider.origin
        for leg in legs.get((rider.alert_id, rider.shelter_id), ()):
            if _carries(leg, rider):
                km = haversine_km_coords(leg.vehicle.lat, leg.vehicle.lon, lat, lon)
                if best is None or (km, leg.vehicle.vehicle_id) < best:
                    best = (km, leg.vehicle.vehicle_id)
        known = away.setdefault(rider.origin, {})
        for vehicle in idle.values():
            if vehicle.seats < rider.size or (rider.accessible and vehicle.accessible_places < 1):
                continue
            far = known.get(vehicle.vehicle_id)
            if far is None:
                far = known[vehicle.vehicle_id] = haversine_km_coords(
                    vehicle.lat, vehicle.lon, lat, lon
                )
            if best is None or (far, vehicle.vehicle_id) < best:
                best = (far, vehicle.vehicle_id)
        if best is None:
            continue
        to_origin, vehicle_id = best
        vehicle = vehicles[vehicle_id]
        joined = trips.get(vehicle_id)
        if joined is not None:
            trip = joined
        else:
            trip = trips[vehicle_id] = _Trip(
                vehicle, rider.alert_id, rider.shelter_id, vehicle.seats, vehicle.accessible_places
            )
            legs.setdefault((rider.alert_id, rider.shelter_id), []).append(trip)
            del idle[vehicle_id]
        trip.seats -= rider.size
        trip.accessible -= 1 if rider.accessible else 0
        loaded = haversine_km_coords(*rider.origin, *rider.destination)
        back = haversine_km_coords(*rider.destination, vehicle.lat, vehicle.lon)
        rides[rider.ident] = Ride(vehicle_id, round((to_origin + loaded) / vehicle.speed_kmh * 60))
        round_trip = timedelta(hours=(to_origin + loaded + back) / vehicle.speed_kmh)
        busy[vehicle_id] = vehicle.model_copy(update={"busy_until": now + round_trip})
    return rides, tuple(busy[v] for v in sorted(busy))
