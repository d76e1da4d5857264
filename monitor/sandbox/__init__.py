"""Loopback emulators of the X, Reddit, Facebook Graph and Slack Web APIs.

They serve the sandbox (`vigia run --sandbox`) and the test suite, so the real client
libraries (tweepy, praw, httpx, slack-sdk) are exercised over real HTTP on 127.0.0.1.
"""
