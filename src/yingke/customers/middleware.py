"""Old links keep working after a merge (R-2.8): a page of a merged-away file redirects to
the same page of the file it became (GET/HEAD, 301) when the user may see that file;
otherwise the 404 stands.

A write (POST or any other method) to a merged-away id is never forwarded: a form sent from
an old page of the merged file carries that file's values and would undo the choices made in
the merge. It answers 404 with a page naming the file it became (customers/merged_away.html),
and nothing is saved."""

from yingke.customers.merge import MergedAway


class FollowMergedFiles:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        match = request.resolver_match
        # Only for the page of that file itself (its id in the path); a merged id given in a
        # form (the other file of a pair) stays a 404.
        if isinstance(exception, MergedAway) and match is not None and \
                str(match.kwargs.get("pk")) == str(exception.merged_id):
            from yingke.customers.views.duplicates import redirect_to_survivor

            return redirect_to_survivor(request, exception)
        return None
