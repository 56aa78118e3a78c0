"""System checks: refuse to start with a set-up that would print wrong documents."""
