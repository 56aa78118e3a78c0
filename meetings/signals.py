"""What the room's services announce after commit, for the rendering to send to the sockets.

The services (meetings/services/) change rows and say what changed; meetings/rendering.py,
which reads the services' state to draw the room, hears these and fans the bytes out. So the
services never import the rendering, and the two stay one above the other.
"""

from django.dispatch import Signal

# Sections of a meeting's room changed: sent with meeting_id=, sections=, notice= (user id,
# text) or None, and soon= (the sections may wait a moment for those of similar commands).
room_changed = Signal()

# The chair moved: every socket of the room re-checks its seat. Sent with meeting_id=.
seats_changed = Signal()

# The minutes (and a hearing's record) were published: sent with meeting= inside the publishing
# transaction; meetings/published.py stores their PDFs on a task worker after the commit.
record_published = Signal()
