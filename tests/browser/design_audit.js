(minTarget) => {
  const parse = (s) => {
    const m = /rgba?\(([^)]+)\)/.exec(s || "");
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return { rgb: p.slice(0, 3), a: p.length > 3 ? p[3] : 1 };
  };
  const lum = (rgb) => {
    const [r, g, b] = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (node) => {
    for (let el = node; el; el = el.parentElement) {
      const style = getComputedStyle(el);
      if (style.backgroundImage !== "none") return null;  // a gradient: left to axe
      const c = parse(style.backgroundColor);
      if (c && c.a > 0.95) return c.rgb;
    }
    return [255, 255, 255];
  };
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && style.visibility !== "hidden" && style.display !== "none";
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + String(el.className).split(" ")[0] : "") + " '" + (el.textContent || el.value || "").trim().slice(0, 20) + "'";
  const problems = [];
  document.querySelectorAll("body *").forEach((el) => {
    if (!visible(el)) return;
    const text = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!text && !["INPUT", "SELECT"].includes(el.tagName)) return;
    const style = getComputedStyle(el);
    const fg = parse(style.color);
    const bg = background(el);
    if (!fg || !bg) return;
    const opacity = Array.from({ length: 1 }, () => { let o = 1; for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity); return o; })[0];
    const mixed = fg.rgb.map((v, i) => v * fg.a * opacity + bg[i] * (1 - fg.a * opacity));
    const [hi, lo] = [lum(mixed), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) problems.push("contrast " + ratio.toFixed(2) + " " + name(el));
  });
  if (minTarget) {
    document.querySelectorAll("button, a[href], input:not([type=checkbox]):not([type=radio]), select, label.check, label.choice").forEach((el) => {
      if (!visible(el)) return;
      const r = el.getBoundingClientRect();
      if (r.width < minTarget - 0.5 || r.height < minTarget - 0.5) problems.push("target " + Math.round(r.width) + "x" + Math.round(r.height) + " " + name(el));
    });
  }
  return problems;
}
