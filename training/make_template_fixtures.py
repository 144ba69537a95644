#!/usr/bin/env python3
"""Golden fixtures for Unmask's chat-template interpreter, from transformers itself.

For every folder in ../shared/reference whose tokenizer_config.json has a chat_template, renders a set
of conversations (system turns, multi-turn, Unicode, code fences) with transformers'
`render_jinja_template` (what `apply_chat_template(tokenize=False)` calls; jinja2 with trim_blocks and
lstrip_blocks) and the special tokens the config names, with and without the generation prompt.
Writes OUT/chat-templates.json: {"transformers", "jinja2", "templates": {model: {chat_template, special_tokens}},
"cases": [{model, conversation, messages, add_generation_prompt, prompt}]} (the templates are copied so the
test runs without ../shared).
The Swift test requires equality, byte for byte.

Usage: python3 training/make_template_fixtures.py [../shared/reference] [Tests/Fixtures/templates]
"""
import json, os, sys
import jinja2, transformers
from transformers.utils.chat_template_utils import render_jinja_template

CONVERSATIONS = {
    "system-user": [{"role": "system", "content": "You are a careful coding assistant."},
                    {"role": "user", "content": "Rename x to count in this function."}],
    "user": [{"role": "user", "content": "Write a function that reverses a list."}],
    "multi-turn": [{"role": "system", "content": "Answer briefly."},
                   {"role": "user", "content": "What does `zip` do?"},
                   {"role": "assistant", "content": "It pairs items of several iterables."},
                   {"role": "user", "content": "And `enumerate`?"}],
    "unicode": [{"role": "user", "content": "Traduis « bonjour » — Grüße, 你好, emoji 🎉 and tabs\there."},
                {"role": "assistant", "content": "« hello » 👋"}],
    "code-fences": [{"role": "user", "content": "Fix this:\n```python\ndef f(x):\n    return x +\n```\n"},
                    {"role": "assistant", "content": "```python\ndef f(x):\n    return x + 1\n```"},
                    {"role": "user", "content": "  Now add a docstring.  \n"}],
}

def special_tokens(cfg):
    out = {}
    for k, v in cfg.items():
        if k.endswith("_token"):
            if isinstance(v, str): out[k] = v
            elif isinstance(v, dict) and "content" in v: out[k] = v["content"]
    return out

def main():
    ref = sys.argv[1] if len(sys.argv) > 1 else "../shared/reference"
    out = sys.argv[2] if len(sys.argv) > 2 else "Tests/Fixtures/templates"
    cases, templates = [], {}
    for model in sorted(os.listdir(ref)):
        p = os.path.join(ref, model, "tokenizer_config.json")
        if not os.path.exists(p): continue
        cfg = json.load(open(p))
        tpl = cfg.get("chat_template")
        if not isinstance(tpl, str): continue
        templates[model] = {"chat_template": tpl, "special_tokens": special_tokens(cfg)}
        for name, conv in CONVERSATIONS.items():
            for gen in (True, False):
                rendered = render_jinja_template(conversations=[conv], chat_template=tpl, add_generation_prompt=gen, **special_tokens(cfg))[0][0]
                cases.append({"model": model, "conversation": name, "messages": conv, "add_generation_prompt": gen, "prompt": rendered})
    os.makedirs(out, exist_ok=True)
    json.dump({"transformers": transformers.__version__, "jinja2": jinja2.__version__, "templates": templates, "cases": cases},
              open(os.path.join(out, "chat-templates.json"), "w"), ensure_ascii=False, indent=1)
    print(f"{len(cases)} cases", file=sys.stderr)

if __name__ == "__main__":
    main()
