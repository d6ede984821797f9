"""What the shopper sees: texts per language, Flex builders and server-rendered images."""
