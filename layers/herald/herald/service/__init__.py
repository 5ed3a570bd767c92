"""Use cases behind the handlers: deciding on an event, sending a queued message."""
