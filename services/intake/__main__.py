"""`python -m services.intake worker`: run the intake gate and region clock."""

from services.intake.agents import app

if __name__ == "__main__":
    app.main()
