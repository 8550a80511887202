"""`python -m services.allocator worker`: run the allocator."""

from services.allocator.agents import app
from services.streams import main

if __name__ == "__main__":
    main(app)
