"""Log-likelihoods of models: exact enumeration, AIS and IWAE, each an Estimate with its method, budget and spread."""
