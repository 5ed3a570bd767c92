"""Small adapters for the AWS services the service layer uses besides tables and channels:
the event bus, the queues, the scheduler and the alerts topic. With ``herald.dal`` and
``herald.channels`` these are the only modules that call AWS."""
