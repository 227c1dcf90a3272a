// Blog posts arrive as HTML from WordPress. Keep the prose and drop anything active.
const ALLOWED_TAGS = new Set(
  "a abbr b blockquote br caption cite code del dd div dl dt em figcaption figure h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s small span strong sub sup table tbody td tfoot th thead tr u ul".split(
    " ",
  ),
);
const ALLOWED_ATTRS = new Set(["href", "src", "alt", "title", "width", "height", "colspan", "rowspan", "cite"]);
const SAFE_URL = /^(?:https?:|mailto:|\/|#|\.{0,2}\/|[^:]*$)/i;

export function sanitizeHtml(html: string): string {
  const template = document.createElement("template");
  template.innerHTML = html;
  clean(template.content);
  return template.innerHTML;
}

function clean(node: ParentNode) {
  for (const child of Array.from(node.children)) {
    const tag = child.tagName.toLowerCase();
    if (!ALLOWED_TAGS.has(tag)) {
      if (["script", "style", "iframe", "object", "embed", "form", "template", "svg", "math"].includes(tag)) {
        child.remove();
      } else {
        clean(child);
        child.replaceWith(...Array.from(child.childNodes));
      }
      continue;
    }
    for (const attr of Array.from(child.attributes)) {
      const name = attr.name.toLowerCase();
      if (!ALLOWED_ATTRS.has(name) || ((name === "href" || name === "src") && !SAFE_URL.test(attr.value.trim()))) {
        child.removeAttribute(attr.name);
      }
    }
    if (tag === "a") {
      child.setAttribute("rel", "noopener noreferrer");
    }
    if (tag === "img") child.setAttribute("loading", "lazy");
    clean(child);
  }
}
