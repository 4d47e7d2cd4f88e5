"""The LLM brain's prompts as data (llm.yaml); a package only so that wheels carry the file."""
