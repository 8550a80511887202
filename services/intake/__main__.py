"""`python -m services.intake worker`: run the intake."""

from services.intake.agents import app
from services.streams import main

if __name__ == "__main__":
    main(app)
