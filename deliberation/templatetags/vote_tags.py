"""`{% notice_vote_documents notice %}`: the documents attached to the matters of an assembly
notice, linked from the notice itself.

Matters can take a document only while the vote is a draft, so what the notice lists is what
it was published with.
"""

from django import template

from deliberation.models import VoteMatter

register = template.Library()


@register.inclusion_tag("deliberation/notice_vote_documents.html")
def notice_vote_documents(notice):
    matters = VoteMatter.objects.filter(vote__notice=notice).exclude(attachment="")
    return {"matters": matters.order_by("position")}
