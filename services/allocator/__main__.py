"""`python -m services.allocator worker`: run the allocator."""

from services.allocator.agents import app

if __name__ == "__main__":
    app.main()
