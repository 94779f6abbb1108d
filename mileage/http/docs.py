"""GET /docs: a readable page of the OpenAPI document, served without any outside assets."""

from flask import Blueprint, current_app, make_response, render_template_string

blueprint = Blueprint("api_docs", __name__)

# The page is one document with an inline style sheet and no script: nothing else may load, and no
# other site may frame it.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)

DOCS_TEMPLATE = """<!doctype html>
<html lang="ko"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ spec.info.title }} · API 문서</title>
<style>
 body{font-family:system-ui,"Apple SD Gothic Neo","Malgun Gothic",sans-serif;margin:0;color:#1d2733;background:#f6f8fa}
 header{background:#1f4e79;color:#fff;padding:1rem 1.5rem} main{max-width:70rem;margin:auto;padding:1rem}
 section{background:#fff;border:1px solid #d8dee4;border-radius:8px;margin:1rem 0;padding:.5rem 1rem}
 .op{border-top:1px solid #eef1f4;padding:.6rem 0} .m{display:inline-block;min-width:4.5rem;font-weight:700}
 .get{color:#1a7f37}.post{color:#0969da}.put,.patch{color:#9a6700}.delete{color:#cf222e}
 code{background:#eef1f4;padding:.1rem .3rem;border-radius:4px} small{color:#57606a}
 details pre{background:#f6f8fa;padding:.5rem;overflow:auto;font-size:.8rem}
</style></head><body>
<header><h1>{{ spec.info.title }} <small style="color:#cfe">v{{ spec.info.version }}</small></h1>
<p>{{ spec.info.description }} · 기계가 읽는 문서:
<a style="color:#fff" href="/openapi.json">/openapi.json</a></p></header>
<main>
<section><h2>공통 규칙 · Conventions</h2><ul>
<li>인증: <code>Authorization: Bearer &lt;access_token&gt;</code> (<code>POST /auth/token</code>으로 발급)</li>
<li>오류 형식: <code>{"code", "status", "message", "errors", "request_id"}</code>
— message는 Accept-Language(ko 기본, en)</li>
<li>포인트를 움직이는 POST에는 <code>Idempotency-Key</code> 헤더: 키의 첫 최종 응답(성공이든 거절이든)이
그 키의 유일한 응답입니다. 같은 키·같은 본문은 그 응답을 <code>Idempotent-Replayed: true</code>와 함께 돌려주고,
다시 시도하려면 새 키를 씁니다. 처리되지 않았다는 응답(본문 형식 오류 422, 401, 429, 503)은 저장하지 않습니다.
키는 30일 보관합니다.</li>
<li>목록은 <code>cursor</code>/<code>limit</code> 키셋 페이지:
응답의 <code>next_cursor</code>로 다음 페이지를 요청합니다.</li>
</ul></section>
{% for tag, operations in groups %}
<section><h2>{{ tag }}</h2>
{% for path, method, op in operations %}
<div class="op"><span class="m {{ method }}">{{ method|upper }}</span> <code>{{ path }}</code>
 <div>{{ op.summary or op.description or "" }}</div>
 <details><summary><small>요청·응답 스키마</small></summary><pre>{{ op|tojson(indent=2) }}</pre></details></div>
{% endfor %}</section>
{% endfor %}
<section><h2>Schemas</h2><details><summary>components</summary>
<pre>{{ spec.components|tojson(indent=2) }}</pre></details></section>
</main></body></html>"""


@blueprint.get("/docs")
def api_docs():
    """Render the OpenAPI document as a page people can read."""
    spec = current_app.extensions["mileage.api"].spec.to_dict()
    groups: dict[str, list] = {}
    for path, operations in sorted(spec.get("paths", {}).items()):
        for method, operation in operations.items():
            if method in ("get", "post", "put", "patch", "delete"):
                tag = (operation.get("tags") or ["other"])[0]
                groups.setdefault(tag, []).append((path, method, operation))
    response = make_response(render_template_string(DOCS_TEMPLATE, spec=spec, groups=sorted(groups.items())))
    response.headers["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    return response
