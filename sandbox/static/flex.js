// Draws LINE Flex Message JSON the way the LINE app lays it out: bubbles and carousels;
// boxes (vertical, horizontal, baseline) with spacing, margins, padding, borders, corners,
// sizes, offsets and gradients; text with spans; images with their aspect ratio; buttons in
// their three styles; icons, separators and fillers. Sizes and keywords follow LINE's
// "Flex Message layout" documentation. A component type it does not know is drawn as a red
// box and listed in `unknown`, so a test can tell a message it cannot draw.
"use strict";

(function () {
  const SPACING = { none: "0px", xs: "2px", sm: "4px", md: "8px", lg: "12px", xl: "16px", xxl: "20px" };
  const TEXT_SIZE = {
    xxs: "11px", xs: "13px", sm: "14px", md: "16px", lg: "19px",
    xl: "22px", xxl: "29px", "3xl": "35px", "4xl": "48px", "5xl": "74px",
  };
  const IMAGE_SIZE = {
    xxs: "40px", xs: "60px", sm: "80px", md: "100px", lg: "120px", xl: "140px",
    xxl: "160px", "3xl": "180px", "4xl": "200px", "5xl": "240px", full: "100%",
  };
  const BUBBLE_WIDTH = {
    nano: "120px", micro: "160px", deca: "220px", hecto: "241px",
    kilo: "260px", mega: "300px", giga: "500px",
  };
  const BORDER_WIDTH = {
    none: "0px", light: "0.5px", normal: "1px", medium: "2px", "semi-bold": "3px", bold: "4px",
  };
  // The padding each block's root box has unless it sets its own.
  const BLOCK_PADDING = { header: "20px", hero: "0px", body: "20px", footer: "10px" };
  const BUTTON_HEIGHT = { sm: "40px", md: "52px" };
  const ALIGN = { start: "flex-start", center: "center", end: "flex-end" };
  const GRAVITY = { top: "flex-start", center: "center", bottom: "flex-end" };
  const KNOWN = ["box", "text", "span", "image", "icon", "button", "separator", "filler", "spacer", "video"];

  function el(tag, className) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    return node;
  }

  // A length keyword from `table`, or a "12px" / "30%" value as it is.
  function length(value, table) {
    if (value === undefined || value === null) return null;
    if (table && Object.prototype.hasOwnProperty.call(table, value)) return table[value];
    if (/^-?\d+(\.\d+)?(px|%)$/.test(String(value))) return String(value);
    return null;
  }

  function ratio(value) {
    const match = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(value || "1:1");
    return match ? `${match[1]} / ${match[2]}` : "1 / 1";
  }

  // Flex grow/shrink of a child in its parent box: 1 by default in horizontal and baseline
  // boxes (children share the width), 0 in vertical ones (children take their own height).
  function placeInParent(node, component, parentLayout) {
    const across = parentLayout === "horizontal" || parentLayout === "baseline";
    const fallback = component.type === "filler" || (across && component.type !== "separator"
      && component.type !== "icon" && component.type !== "spacer") ? 1 : 0;
    const flex = Number.isInteger(component.flex) ? component.flex : fallback;
    if (component.type === "box" && (component.width || component.height)) {
      node.style.flex = "0 0 auto";
    } else if (flex > 0) {
      node.style.flex = across ? `${flex} 0 0` : `${flex} 0 auto`;
      if (across) node.style.minWidth = "0";
    } else {
      node.style.flex = "0 0 auto";
    }
    const gravity = GRAVITY[component.gravity];
    if (across && gravity && parentLayout !== "baseline") node.style.alignSelf = gravity;
  }

  function offsets(node, c) {
    if (c.position === "absolute") node.style.position = "absolute";
    const sides = { offsetTop: "top", offsetBottom: "bottom", offsetStart: "insetInlineStart", offsetEnd: "insetInlineEnd" };
    for (const [key, css] of Object.entries(sides)) {
      const value = length(c[key], SPACING);
      if (value !== null) node.style[css] = value;
    }
    if (c.position !== "absolute" && Object.keys(sides).some((k) => c[k] !== undefined)) {
      node.style.position = "relative";
    }
  }

  function clickable(node, action, ctx) {
    if (!action || typeof action !== "object") return;
    node.classList.add("flex-action");
    node.tabIndex = 0;
    if (action.label) node.title = action.label;
    node.dataset.actionType = action.type || "";
    node.addEventListener("click", (event) => {
      event.stopPropagation();
      ctx.onAction(action);
    });
  }

  function box(c, ctx) {
    const layout = ["vertical", "horizontal", "baseline"].includes(c.layout) ? c.layout : "vertical";
    const node = el("div", `flex-box flex-${layout}`);
    if (!["vertical", "horizontal", "baseline"].includes(c.layout)) {
      ctx.unknown.push(`box layout ${c.layout}`);
    }
    const pad = length(c.paddingAll, SPACING);
    if (pad !== null) node.style.padding = pad;
    for (const [key, css] of [["paddingTop", "paddingTop"], ["paddingBottom", "paddingBottom"],
      ["paddingStart", "paddingInlineStart"], ["paddingEnd", "paddingInlineEnd"]]) {
      const value = length(c[key], SPACING);
      if (value !== null) node.style[css] = value;
    }
    if (c.backgroundColor) node.style.backgroundColor = c.backgroundColor;
    const border = length(c.borderWidth, BORDER_WIDTH);
    if (border !== null || c.borderColor) {
      node.style.border = `${border || "1px"} solid ${c.borderColor || "#000000"}`;
    }
    const radius = length(c.cornerRadius, SPACING);
    if (radius !== null) {
      node.style.borderRadius = radius;
      node.style.overflow = "hidden";
    }
    for (const key of ["width", "maxWidth", "height", "maxHeight"]) {
      const value = length(c[key]);
      if (value !== null) node.style[key] = value;
    }
    if (c.justifyContent) node.style.justifyContent = c.justifyContent;
    if (c.alignItems) node.style.alignItems = c.alignItems;
    if (c.background && c.background.type === "linearGradient") {
      const stops = [c.background.startColor];
      if (c.background.centerColor) {
        stops.push(`${c.background.centerColor} ${c.background.centerPosition || "50%"}`);
      }
      stops.push(c.background.endColor);
      node.style.backgroundImage = `linear-gradient(${c.background.angle || "0deg"}, ${stops.join(", ")})`;
    }
    offsets(node, c);
    const spacing = length(c.spacing, SPACING);
    const across = layout !== "vertical";
    (Array.isArray(c.contents) ? c.contents : []).forEach((child, index) => {
      const drawn = component(child, ctx, layout);
      const margin = child && child.margin !== undefined ? length(child.margin, SPACING) : index > 0 ? spacing : null;
      if (margin !== null && !(child && child.position === "absolute")) {
        drawn.style[across ? "marginInlineStart" : "marginTop"] = margin;
      }
      node.appendChild(drawn);
    });
    if (c.action) clickable(node, c.action, ctx);
    return node;
  }

  function textStyle(node, c) {
    const size = length(c.size, TEXT_SIZE);
    if (size !== null) node.style.fontSize = size;
    if (c.color) node.style.color = c.color;
    if (c.weight === "bold") node.style.fontWeight = "700";
    if (c.style === "italic") node.style.fontStyle = "italic";
    if (c.decoration === "underline" || c.decoration === "line-through") {
      node.style.textDecoration = c.decoration;
    }
  }

  function text(c, ctx) {
    const node = el("div", "flex-text");
    textStyle(node, c);
    if (c.align && ALIGN[c.align]) node.style.textAlign = c.align;
    if (c.wrap) {
      node.classList.add("flex-wrap");
      if (Number.isInteger(c.maxLines) && c.maxLines > 0) {
        node.classList.add("flex-clamp");
        node.style.webkitLineClamp = String(c.maxLines);
      }
    }
    if (c.lineSpacing) {
      const extra = length(c.lineSpacing);
      if (extra !== null) node.style.lineHeight = `calc(1.4em + ${extra})`;
    }
    if (Array.isArray(c.contents) && c.contents.length) {
      for (const part of c.contents) {
        if (part && part.type === "span") {
          const span = el("span", "flex-span");
          textStyle(span, part);
          span.textContent = part.text || "";
          node.appendChild(span);
        } else {
          node.appendChild(unknown(part, ctx));
        }
      }
    } else {
      node.textContent = c.text || "";
    }
    offsets(node, c);
    if (c.action) clickable(node, c.action, ctx);
    return node;
  }

  function image(c, ctx) {
    const node = el("div", "flex-image");
    node.style.justifyContent = ALIGN[c.align] || "center";
    const frame = el("div", "flex-image-frame");
    frame.style.width = length(c.size, IMAGE_SIZE) || IMAGE_SIZE.md;
    frame.style.aspectRatio = ratio(c.aspectRatio);
    if (c.backgroundColor) frame.style.backgroundColor = c.backgroundColor;
    const img = el("img");
    img.alt = "";
    img.src = c.url || "";
    img.style.objectFit = c.aspectMode === "cover" ? "cover" : "contain";
    frame.appendChild(img);
    node.appendChild(frame);
    offsets(node, c);
    if (c.action) clickable(node, c.action, ctx);
    return node;
  }

  function icon(c) {
    const node = el("img", "flex-icon");
    node.alt = "";
    node.src = c.url || "";
    const size = length(c.size, TEXT_SIZE) || TEXT_SIZE.md;
    node.style.height = size;
    const [w, h] = (c.aspectRatio || "1:1").split(":").map(Number);
    node.style.width = w && h ? `calc(${size} * ${w / h})` : size;
    offsets(node, c);
    return node;
  }

  function button(c, ctx) {
    const style = ["primary", "secondary", "link"].includes(c.style) ? c.style : "link";
    const node = el("button", `flex-button flex-button-${style}`);
    node.type = "button";
    node.style.height = BUTTON_HEIGHT[c.height] || BUTTON_HEIGHT.md;
    if (c.color) {
      if (style === "link") node.style.color = c.color;
      else node.style.backgroundColor = c.color;
    }
    node.textContent = (c.action && c.action.label) || "";
    offsets(node, c);
    clickable(node, c.action, ctx);
    return node;
  }

  function separator(c, parentLayout) {
    const node = el("div", `flex-separator${parentLayout === "vertical" ? "" : " flex-separator-v"}`);
    if (c.color) node.style.borderColor = c.color;
    return node;
  }

  function unknown(c, ctx) {
    const type = c && typeof c === "object" ? String(c.type) : typeof c;
    ctx.unknown.push(type);
    const node = el("div", "flex-unknown");
    node.textContent = `unknown Flex component: ${type}`;
    return node;
  }

  function component(c, ctx, parentLayout) {
    if (!c || typeof c !== "object" || !KNOWN.includes(c.type)) return unknown(c, ctx);
    let node;
    switch (c.type) {
      case "box": node = box(c, ctx); break;
      case "text": node = text(c, ctx); break;
      case "image": node = image(c, ctx); break;
      case "icon": node = icon(c); break;
      case "button": node = button(c, ctx); break;
      case "separator": node = separator(c, parentLayout); break;
      case "filler": case "spacer": node = el("div", "flex-filler"); break;
      case "video":
        node = c.altContent ? component(c.altContent, ctx, parentLayout) : el("div", "flex-video");
        break;
      default: node = unknown(c, ctx);
    }
    node.dataset.flexType = c.type;
    placeInParent(node, c, parentLayout);
    return node;
  }

  function bubble(b, ctx) {
    const node = el("div", "flex-bubble");
    node.dataset.flexType = "bubble";
    node.style.width = BUBBLE_WIDTH[b.size] || BUBBLE_WIDTH.mega;
    if (b.direction === "rtl") node.dir = "rtl";
    const styles = b.styles || {};
    let first = true;
    for (const block of ["header", "hero", "body", "footer"]) {
      if (!b[block]) continue;
      const style = styles[block] || {};
      const part = el("div", `flex-block flex-${block}`);
      if (style.backgroundColor) part.style.backgroundColor = style.backgroundColor;
      if (style.separator && !first) {
        part.style.borderTop = `1px solid ${style.separatorColor || "#e6e6e6"}`;
      }
      const drawn = component(b[block], ctx, "vertical");
      if (b[block].type === "box" && b[block].paddingAll === undefined) {
        drawn.style.padding = BLOCK_PADDING[block];
        for (const [key, css] of [["paddingTop", "paddingTop"], ["paddingBottom", "paddingBottom"],
          ["paddingStart", "paddingInlineStart"], ["paddingEnd", "paddingInlineEnd"]]) {
          const value = length(b[block][key], SPACING);
          if (value !== null) drawn.style[css] = value;
        }
      }
      if (block === "body" || (block === "hero" && !b.body)) part.classList.add("flex-grow");
      part.appendChild(drawn);
      node.appendChild(part);
      first = false;
    }
    if (b.action) clickable(node, b.action, ctx);
    return node;
  }

  // The Flex container `contents` (bubble or carousel) as an element; `onAction(action)` is
  // called with the action object of whatever is tapped.
  function render(contents, onAction) {
    const ctx = { onAction: onAction || function () {}, unknown: [] };
    let node;
    if (contents && contents.type === "bubble") {
      node = bubble(contents, ctx);
    } else if (contents && contents.type === "carousel") {
      node = el("div", "flex-carousel");
      node.dataset.flexType = "carousel";
      for (const item of Array.isArray(contents.contents) ? contents.contents : []) {
        node.appendChild(item && item.type === "bubble" ? bubble(item, ctx) : unknown(item, ctx));
      }
    } else {
      node = unknown(contents, ctx);
    }
    return { element: node, unknown: ctx.unknown };
  }

  window.SandboxFlex = { render };
})();
