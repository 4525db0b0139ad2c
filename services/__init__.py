"""acrfence's service layer: async Azure access, analysis and plans. No Textual here."""
